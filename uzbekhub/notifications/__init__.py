"""Notifications: grouped, retracted when their cause is undone, live on the sockets, pushed."""
