"""Stories: media that stay active for STORY_TTL_HOURS, for an audience, then go to the archive."""
