"""Posts: the feed, images, likes, comments and views (spec: Posts 1-14)."""
