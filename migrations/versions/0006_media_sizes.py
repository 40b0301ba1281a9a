"""media sizes of post images and stories, for the per-user media quota

Chat files kept their size already; post images and story media get theirs, so that
one quota (MEDIA_QUOTA_MB) can sum what a user stores across posts, stories and chat.
Files stored before this revision count as 0 bytes.

Revision ID: 0006_media_sizes
Revises: 0005_feed_counts_search
Create Date: 2026-12-03 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_media_sizes'
down_revision = '0005_feed_counts_search'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'post_images', sa.Column('file_size', sa.Integer(), server_default='0', nullable=False)
    )
    op.add_column(
        'stories', sa.Column('media_size', sa.Integer(), server_default='0', nullable=False)
    )


def downgrade():
    with op.batch_alter_table('stories') as batch_op:
        batch_op.drop_column('media_size')
    with op.batch_alter_table('post_images') as batch_op:
        batch_op.drop_column('file_size')
