"""Application assembly for devnews-bot: config, CLI, Application factory, jobs wiring, console."""
