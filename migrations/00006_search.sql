-- +goose Up
-- Which embedder produced service_catalog.embedding ("builtin-v1", "openai:<model>"): vectors of
-- different embedders must never be compared, so search recomputes every embedding whose model is
-- not the configured one (a provider switch at the same dimension would otherwise go unnoticed).
ALTER TABLE service_catalog ADD COLUMN embedding_model varchar(100);

-- +goose Down
ALTER TABLE service_catalog DROP COLUMN embedding_model;
