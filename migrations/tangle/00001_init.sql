-- +goose Up
-- Placeholder so the folder embeds; replaced by the first real migration.
SELECT 1;
