package halofake

import "testing"

// TestOmit: an omitted key is missing from the record until it is written again, and the record's
// last-update time moves.
func TestOmit(t *testing.T) {
	s := New(Options{Seed: 3})
	s.Generate(Size{Clients: 2, Sites: 2, Users: 2, Agents: 2, Tickets: 2, ActionsPerTicket: 1})
	find := func() map[string]any {
		for _, r := range s.Records("tickets") {
			if r["id"] == float64(1) {
				return r
			}
		}
		t.Fatal("no ticket 1")
		return nil
	}
	before := find()
	s.Omit("tickets", 1, "category_1", "summary")
	after := find()
	if _, ok := after["summary"]; ok {
		t.Fatalf("summary still present: %v", after["summary"])
	}
	if _, ok := after["category_1"]; ok {
		t.Fatal("category_1 still present")
	}
	if after["last_update"] == before["last_update"] {
		t.Fatal("last_update did not move")
	}
	s.Update("tickets", 1, map[string]any{"summary": "back"})
	if got := find()["summary"]; got != "back" {
		t.Fatalf("summary = %v, want back", got)
	}
	if _, ok := find()["category_1"]; ok {
		t.Fatal("category_1 came back without a write")
	}
}
