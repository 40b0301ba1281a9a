"""create stories and comments tables

Stories with their audience, the users marked on them, their views and
reactions (one of each per user and story), and the public comments app.
A story's expiry is not stored: it is computed from created_at and
STORY_TTL_HOURS, so (owner_id, created_at) is indexed for the active and
archive lists.

Revision ID: 0003_stories_comments
Revises: 0002_posts
Create Date: 2026-11-27 14:31:54.831625

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_stories_comments'
down_revision = '0002_posts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('public_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content', sa.String(length=600), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(content) >= 1', name=op.f('ck_public_comments_content_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_comments'))
    )
    with op.batch_alter_table('public_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_comments_created_at'), ['created_at'], unique=False)

    op.create_table('stories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('media', sa.String(length=255), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("audience IN ('public', 'contact', 'marked')", name=op.f('ck_stories_audience_known')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_stories_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stories'))
    )
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.create_index('ix_stories_owner_id_created_at', ['owner_id', 'created_at'], unique=False)

    op.create_table('story_marks',
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_marks_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_story_marks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('story_id', 'user_id', name=op.f('pk_story_marks'))
    )
    with op.batch_alter_table('story_marks', schema=None) as batch_op:
        batch_op.create_index('ix_story_marks_user_id', ['user_id'], unique=False)

    op.create_table('story_reactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reaction', sa.String(length=32), nullable=False),
    sa.Column('reacted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_reactions_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_story_reactions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_reactions')),
    sa.UniqueConstraint('story_id', 'user_id', name=op.f('uq_story_reactions_story_id_user_id'))
    )
    with op.batch_alter_table('story_reactions', schema=None) as batch_op:
        batch_op.create_index('ix_story_reactions_user_id', ['user_id'], unique=False)

    op.create_table('story_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_views_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['viewer_id'], ['users.id'], name=op.f('fk_story_views_viewer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_views')),
    sa.UniqueConstraint('story_id', 'viewer_id', name=op.f('uq_story_views_story_id_viewer_id'))
    )
    with op.batch_alter_table('story_views', schema=None) as batch_op:
        batch_op.create_index('ix_story_views_viewer_id', ['viewer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('story_views', schema=None) as batch_op:
        batch_op.drop_index('ix_story_views_viewer_id')

    op.drop_table('story_views')
    with op.batch_alter_table('story_reactions', schema=None) as batch_op:
        batch_op.drop_index('ix_story_reactions_user_id')

    op.drop_table('story_reactions')
    with op.batch_alter_table('story_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_story_marks_user_id')

    op.drop_table('story_marks')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_owner_id_created_at')

    op.drop_table('stories')
    with op.batch_alter_table('public_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_comments_created_at'))

    op.drop_table('public_comments')