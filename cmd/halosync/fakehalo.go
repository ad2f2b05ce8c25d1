package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/halosync/halosync/halo/halofake"
)

func newFakeHaloCmd() *cobra.Command {
	var (
		addr, size, webhookURL, webhookSecret string
		rate                                  string
		bulk, honour                          bool
		seed                                  int64
	)
	cmd := &cobra.Command{
		Use:   "fakehalo",
		Short: "Serve a fake Halo API with a generated tenant (for the demo and for trying halosync)",
		Long: "Serve an in-memory Halo that behaves like the real API, quirks included: OAuth2 client\n" +
			"credentials, paging with its caps, envelopes and bare arrays, sentinel dates, a rolling rate limit\n" +
			"answering 429, POST/DELETE writes and signed webhooks. Credentials: client id " + halofake.DefaultClientID + ",\n" +
			"client secret " + halofake.DefaultClientSecret + ".",
		Example: "  halosync fakehalo --addr 127.0.0.1:8089 --size medium",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sz, err := halofake.ParseSize(size)
			if err != nil {
				return fmt.Errorf("--size: %w", err)
			}
			opts := halofake.Options{
				BulkActions: bulk, HonourLastUpdateFilter: honour, Seed: seed,
				WebhookURL: webhookURL, WebhookSecret: webhookSecret,
			}
			if rate == "off" {
				opts.RateLimit = -1
			} else {
				n, w, err := ParseRate(rate)
				if err != nil {
					return fmt.Errorf("--rate-limit: %w", err)
				}
				opts.RateLimit, opts.RateWindow = n, w
			}
			if s := os.Getenv("HALO_WEBHOOK_SECRET"); opts.WebhookSecret == "" && s != "" {
				opts.WebhookSecret = s
			}
			return halofake.Run(cmd.Context(), addr, sz, opts)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8089", "listen address")
	cmd.Flags().StringVar(&size, "size", "small", "tenant size: small, medium or large")
	cmd.Flags().StringVar(&rate, "rate-limit", "300/5m", "rolling rate limit as requests/window, or off")
	cmd.Flags().BoolVar(&bulk, "bulk-actions", true, "allow listing actions across tickets (GET /api/Actions without ticket_id)")
	cmd.Flags().BoolVar(&honour, "honour-lastupdate", true, "honour lastupdatefromdate on Client, Site, Users and Asset")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the generated tenant")
	cmd.Flags().StringVar(&webhookURL, "webhook-url", "", "deliver signed webhooks on ticket changes to this URL")
	cmd.Flags().StringVar(&webhookSecret, "webhook-secret", "", "HMAC secret of the webhook Token header (default $HALO_WEBHOOK_SECRET)")
	return cmd
}
