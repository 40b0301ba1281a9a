"""create posts tables

Posts with their images, likes, comments and views. Likes and views are unique
per user and post in the database; indexes serve the feed order, a user's posts
and every per-post lookup and count.

Revision ID: 0002_posts
Revises: ec9ea06f5c01
Create Date: 2026-11-27 14:31:58.894288

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_posts'
down_revision = 'ec9ea06f5c01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('posts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_edited', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(content) <= 10000', name=op.f('ck_posts_content_length')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_posts_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_posts_owner_id_created_at', ['owner_id', 'created_at'], unique=False)

    op.create_table('post_comments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('reply_to_id', sa.Uuid(), nullable=True),
    sa.Column('is_edited', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(comment) <= 2000', name=op.f('ck_post_comments_comment_length')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_post_comments_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_comments_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reply_to_id'], ['post_comments.id'], name=op.f('fk_post_comments_reply_to_id_post_comments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_comments'))
    )
    with op.batch_alter_table('post_comments', schema=None) as batch_op:
        batch_op.create_index('ix_post_comments_owner_id', ['owner_id'], unique=False)
        batch_op.create_index('ix_post_comments_post_id_created_at', ['post_id', 'created_at'], unique=False)
        batch_op.create_index('ix_post_comments_reply_to_id', ['reply_to_id'], unique=False)

    op.create_table('post_images',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=False),
    sa.Column('image', sa.String(length=255), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_images_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_images'))
    )
    with op.batch_alter_table('post_images', schema=None) as batch_op:
        batch_op.create_index('ix_post_images_post_id_position', ['post_id', 'position'], unique=False)

    op.create_table('post_likes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_post_likes_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_likes_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_likes')),
    sa.UniqueConstraint('post_id', 'owner_id', name=op.f('uq_post_likes_post_id_owner_id'))
    )
    with op.batch_alter_table('post_likes', schema=None) as batch_op:
        batch_op.create_index('ix_post_likes_owner_id', ['owner_id'], unique=False)
        batch_op.create_index('ix_post_likes_post_id_created_at', ['post_id', 'created_at'], unique=False)

    op.create_table('post_views',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_post_views_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_views_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_views')),
    sa.UniqueConstraint('post_id', 'owner_id', name=op.f('uq_post_views_post_id_owner_id'))
    )
    with op.batch_alter_table('post_views', schema=None) as batch_op:
        batch_op.create_index('ix_post_views_owner_id', ['owner_id'], unique=False)
        batch_op.create_index('ix_post_views_post_id_created_at', ['post_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('post_views', schema=None) as batch_op:
        batch_op.drop_index('ix_post_views_post_id_created_at')
        batch_op.drop_index('ix_post_views_owner_id')

    op.drop_table('post_views')
    with op.batch_alter_table('post_likes', schema=None) as batch_op:
        batch_op.drop_index('ix_post_likes_post_id_created_at')
        batch_op.drop_index('ix_post_likes_owner_id')

    op.drop_table('post_likes')
    with op.batch_alter_table('post_images', schema=None) as batch_op:
        batch_op.drop_index('ix_post_images_post_id_position')

    op.drop_table('post_images')
    with op.batch_alter_table('post_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_post_comments_reply_to_id')
        batch_op.drop_index('ix_post_comments_post_id_created_at')
        batch_op.drop_index('ix_post_comments_owner_id')

    op.drop_table('post_comments')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_owner_id_created_at')
        batch_op.drop_index('ix_posts_created_at_id')

    op.drop_table('posts')
