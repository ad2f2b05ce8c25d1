package main

import hsync "github.com/halosync/halosync/sync"

// pusher builds the Pusher that sends local edits of the mirror to Halo.
func (a *app) pusher() *hsync.Pusher {
	return &hsync.Pusher{Halo: a.halo, Store: a.store, Log: a.log}
}
