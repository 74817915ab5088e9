"""Domain and persistence for devnews-bot: ingestion, extraction, index, answering (no Telegram)."""
