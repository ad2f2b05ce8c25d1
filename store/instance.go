package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// InstanceVersion is one row of halosync.instance_versions: a Halo version the mirror was synced from.
type InstanceVersion struct {
	AppVersion      string
	AppName         string
	DatabaseVersion string
	HostedGroup     string
	Raw             []byte
}

// SaveInstanceVersion records that Halo answered with v now: a new version gets a row (first_seen_at now),
// a known one has last_seen_at moved and its other fields and raw refreshed. Runs started from now on
// record v.AppVersion (StartRun).
func (s *Store) SaveInstanceVersion(ctx context.Context, v InstanceVersion) error {
	if err := CheckRaw(v.Raw); err != nil {
		return fmt.Errorf("error saving Halo instance info: %w", err)
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO halosync.instance_versions AS i (app_version, app_name, database_version, hosted_group, raw)
VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), NULLIF($4, ''), $5)
ON CONFLICT (app_version) DO UPDATE SET app_name = EXCLUDED.app_name, database_version = EXCLUDED.database_version,
    hosted_group = EXCLUDED.hosted_group, raw = EXCLUDED.raw, last_seen_at = now()`,
		sanitizeText(v.AppVersion), sanitizeText(v.AppName), sanitizeText(v.DatabaseVersion), sanitizeText(v.HostedGroup), v.Raw)
	if err != nil {
		return fmt.Errorf("error saving Halo instance info: %w", err)
	}
	return nil
}

// LatestInstanceVersion returns the Halo version seen last and when, ok false when none was ever recorded.
func (s *Store) LatestInstanceVersion(ctx context.Context) (version string, seen time.Time, ok bool, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT app_version, last_seen_at FROM halosync.instance_versions
ORDER BY last_seen_at DESC LIMIT 1`).Scan(&version, &seen)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("error reading the latest Halo version: %w", err)
	}
	return version, seen, true, nil
}
