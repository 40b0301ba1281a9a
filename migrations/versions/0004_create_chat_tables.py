"""create chat tables

Rooms (private pairs unique in the database, groups with case-insensitively
unique usernames, a kept message count), members with roles and read markers
(one owner per room), messages indexed for newest-first history per room (a
deleted account's messages stay, without a sender), and uploaded files with
their attachments to messages.

Revision ID: 0004_chat
Revises: 0003_stories_comments
Create Date: 2026-11-27 14:34:03.529248

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_chat'
down_revision = '0003_stories_comments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chat_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('unique_id', sa.String(length=64), nullable=False),
    sa.Column('file', sa.String(length=255), nullable=False),
    sa.Column('file_type', sa.String(length=10), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('is_temporary', sa.Boolean(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("file_type IN ('image', 'video', 'voice', 'document', 'other')", name=op.f('ck_chat_files_file_type')),
    sa.CheckConstraint('file_size > 0', name=op.f('ck_chat_files_file_size_positive')),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_chat_files_uploader_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_files')),
    sa.UniqueConstraint('uploader_id', 'unique_id', name=op.f('uq_chat_files_uploader_id_unique_id'))
    )
    with op.batch_alter_table('chat_files', schema=None) as batch_op:
        batch_op.create_index('ix_chat_files_unique_id', ['unique_id'], unique=False)

    op.create_table('chat_rooms',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('room_type', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('username', sa.String(length=25), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('profile_pic', sa.String(length=255), nullable=True),
    sa.Column('private_low_id', sa.Integer(), nullable=True),
    sa.Column('private_high_id', sa.Integer(), nullable=True),
    sa.Column('message_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('message_count >= 0', name=op.f('ck_chat_rooms_message_count_not_negative')),
    sa.CheckConstraint("room_type = 'private' OR (private_low_id IS NULL AND private_high_id IS NULL)", name=op.f('ck_chat_rooms_pair_only_private')),
    sa.CheckConstraint("room_type IN ('private', 'group')", name=op.f('ck_chat_rooms_room_type')),
    sa.CheckConstraint('private_low_id < private_high_id', name=op.f('ck_chat_rooms_pair_ordered')),
    sa.ForeignKeyConstraint(['private_high_id'], ['users.id'], name=op.f('fk_chat_rooms_private_high_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['private_low_id'], ['users.id'], name=op.f('fk_chat_rooms_private_low_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_rooms')),
    sa.UniqueConstraint('private_low_id', 'private_high_id', name=op.f('uq_chat_rooms_private_low_id_private_high_id'))
    )
    with op.batch_alter_table('chat_rooms', schema=None) as batch_op:
        batch_op.create_index('ix_chat_rooms_private_high_id', ['private_high_id'], unique=False)
    # Room usernames are unique whatever their case (autogenerate cannot see expression indexes).
    op.create_index('uq_chat_rooms_username_lower', 'chat_rooms', [sa.text('lower(username)')], unique=True)

    op.create_table('chat_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_read_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'admin', 'member')", name=op.f('ck_chat_members_role')),
    sa.ForeignKeyConstraint(['room_id'], ['chat_rooms.id'], name=op.f('fk_chat_members_room_id_chat_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_members')),
    sa.UniqueConstraint('room_id', 'user_id', name=op.f('uq_chat_members_room_id_user_id'))
    )
    with op.batch_alter_table('chat_members', schema=None) as batch_op:
        batch_op.create_index('ix_chat_members_user_id', ['user_id'], unique=False)
        batch_op.create_index('uq_chat_members_one_owner', ['room_id'], unique=True, sqlite_where=sa.text("role = 'owner'"), postgresql_where=sa.text("role = 'owner'"))

    op.create_table('chat_messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('room_id', sa.Uuid(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reply_to_id', sa.Uuid(), nullable=True),
    sa.Column('is_edited', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('update_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(text) <= 4000', name=op.f('ck_chat_messages_text_length')),
    sa.ForeignKeyConstraint(['reply_to_id'], ['chat_messages.id'], name=op.f('fk_chat_messages_reply_to_id_chat_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['room_id'], ['chat_rooms.id'], name=op.f('fk_chat_messages_room_id_chat_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_chat_messages_sender_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_messages'))
    )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index('ix_chat_messages_reply_to_id', ['reply_to_id'], unique=False)
        batch_op.create_index('ix_chat_messages_room_created', ['room_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_chat_messages_sender_id', ['sender_id'], unique=False)

    op.create_table('chat_message_files',
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['chat_files.id'], name=op.f('fk_chat_message_files_file_id_chat_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['chat_messages.id'], name=op.f('fk_chat_message_files_message_id_chat_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'file_id', name=op.f('pk_chat_message_files'))
    )
    with op.batch_alter_table('chat_message_files', schema=None) as batch_op:
        batch_op.create_index('ix_chat_message_files_file_id', ['file_id'], unique=False)



def downgrade():
    with op.batch_alter_table('chat_message_files', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_message_files_file_id')

    op.drop_table('chat_message_files')
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_messages_sender_id')
        batch_op.drop_index('ix_chat_messages_room_created')
        batch_op.drop_index('ix_chat_messages_reply_to_id')

    op.drop_table('chat_messages')
    with op.batch_alter_table('chat_members', schema=None) as batch_op:
        batch_op.drop_index('uq_chat_members_one_owner', sqlite_where=sa.text("role = 'owner'"), postgresql_where=sa.text("role = 'owner'"))
        batch_op.drop_index('ix_chat_members_user_id')

    op.drop_table('chat_members')
    op.drop_index('uq_chat_rooms_username_lower', table_name='chat_rooms')
    with op.batch_alter_table('chat_rooms', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_rooms_private_high_id')

    op.drop_table('chat_rooms')
    with op.batch_alter_table('chat_files', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_files_unique_id')

    op.drop_table('chat_files')
