package main

import (
	"context"
	"log/slog"
	"strings"
)

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runSetups(ctx context.Context, c config, dir string, meta cacheMeta, log *slog.Logger) error {
	return nil
}
