"""Application assembly for devnews-bot: config, CLI, Application factory, scheduling, console."""
