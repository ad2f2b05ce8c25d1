package main

import hsync "github.com/halosync/halosync/sync"

// pusher builds the Pusher that sends local edits of the mirror to Halo.
func (a *app) pusher() *hsync.Pusher {
	marker, _ := hsync.ParseCreateMarker(a.cfg.CreateMarker) // validated by loadConfig
	return &hsync.Pusher{Halo: a.halo, Store: a.store, Log: a.log, Marker: marker, MaxAttempts: a.cfg.PushMaxAttempts}
}
