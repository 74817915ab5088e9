-- The schema SQLAlchemy create_all made on SQLite at commit 76270fd (before migrations).
CREATE TABLE document (
	id INTEGER NOT NULL,
	name VARCHAR NOT NULL,
	path VARCHAR NOT NULL,
	content_hash VARCHAR NOT NULL,
	title VARCHAR NOT NULL,
	regions JSON NOT NULL,
	authors JSON NOT NULL,
	year INTEGER,
	date VARCHAR,
	date_source VARCHAR,
	char_count INTEGER NOT NULL,
	sentence_count INTEGER NOT NULL,
	fact_count INTEGER NOT NULL,
	ingested_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX ix_document_name ON document (name);
CREATE UNIQUE INDEX ix_document_content_hash ON document (content_hash);
CREATE TABLE subscription (
	id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	chat_type VARCHAR NOT NULL,
	title VARCHAR NOT NULL,
	active BOOLEAN NOT NULL,
	hour INTEGER NOT NULL,
	minute INTEGER NOT NULL,
	timezone VARCHAR NOT NULL,
	topics JSON NOT NULL,
	created_at DATETIME NOT NULL,
	schedule_changed_at DATETIME NOT NULL,
	last_digest_at DATETIME,
	changed_by INTEGER,
	deactivated_reason VARCHAR,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_subscription_chat_id ON subscription (chat_id);
CREATE TABLE delivery (
	id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	local_date DATE NOT NULL,
	slot_at DATETIME NOT NULL,
	status VARCHAR NOT NULL,
	attempts INTEGER NOT NULL,
	late BOOLEAN NOT NULL,
	claimed_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	sent_at DATETIME,
	message_id INTEGER,
	error VARCHAR,
	PRIMARY KEY (id),
	CONSTRAINT uq_delivery_chat_day UNIQUE (chat_id, local_date)
);
CREATE INDEX ix_delivery_chat_id ON delivery (chat_id);
CREATE INDEX ix_delivery_status ON delivery (status);
CREATE TABLE sentitem (
	id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	fact_id INTEGER NOT NULL,
	sent_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_sentitem_chat_fact UNIQUE (chat_id, fact_id)
);
CREATE INDEX ix_sentitem_chat_id ON sentitem (chat_id);
CREATE TABLE announcement (
	id INTEGER NOT NULL,
	"key" VARCHAR NOT NULL,
	chat_id INTEGER NOT NULL,
	document_id INTEGER,
	text VARCHAR NOT NULL,
	status VARCHAR NOT NULL,
	attempts INTEGER NOT NULL,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	sent_at DATETIME,
	message_id INTEGER,
	error VARCHAR,
	PRIMARY KEY (id),
	CONSTRAINT uq_announcement_key_chat UNIQUE ("key", chat_id)
);
CREATE INDEX ix_announcement_status ON announcement (status);
CREATE INDEX ix_announcement_key ON announcement ("key");
CREATE TABLE sentence (
	id INTEGER NOT NULL,
	document_id INTEGER NOT NULL,
	paragraph_no INTEGER NOT NULL,
	position INTEGER NOT NULL,
	kind VARCHAR NOT NULL,
	text VARCHAR NOT NULL,
	tokens VARCHAR NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(document_id) REFERENCES document (id)
);
CREATE INDEX ix_sentence_document_id ON sentence (document_id);
CREATE TABLE fact (
	id INTEGER NOT NULL,
	document_id INTEGER NOT NULL,
	sentence_id INTEGER NOT NULL,
	kind VARCHAR NOT NULL,
	span VARCHAR NOT NULL,
	start INTEGER NOT NULL,
	"end" INTEGER NOT NULL,
	value FLOAT,
	unit VARCHAR NOT NULL,
	qualifier VARCHAR,
	target BOOLEAN NOT NULL,
	period INTEGER,
	subject VARCHAR,
	metric VARCHAR,
	label VARCHAR NOT NULL,
	date VARCHAR,
	PRIMARY KEY (id),
	FOREIGN KEY(document_id) REFERENCES document (id),
	FOREIGN KEY(sentence_id) REFERENCES sentence (id)
);
CREATE INDEX ix_fact_sentence_id ON fact (sentence_id);
CREATE INDEX ix_fact_document_id ON fact (document_id);
CREATE INDEX ix_fact_kind ON fact (kind);
