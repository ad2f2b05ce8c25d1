package halo

import (
	"encoding/json"
	"testing"
)

// TestScanEnvelopeMatchesDecoding: the one-pass envelope scan finds what
// json.Unmarshal finds, and leaves anything unexpected to it.
func TestScanEnvelopeMatchesDecoding(t *testing.T) {
	keys := []string{"tickets", "results"}
	for _, body := range []string{
		`{}`,
		` { "record_count" : 2 , "page_no":1, "tickets": [ {"id": 1, "s": "a,]}\"["}, {"id":2} ] } `,
		`{"Record_Count":"3","TICKETS":[],"x":{"a":[1,2,{"b":null}]},"y":true,"z":-1.5e3,"w":null}`,
		`{"tickets":null}`,
		`{"results":[{"id":1}],"tickets":[{"id":2}]}`,
		`{"k\u0065y":"v","tickets":[1 ,2]}`,
	} {
		env, ok := scanEnvelope([]byte(body), keys)
		if !ok {
			t.Errorf("%s: scan refused a valid body", body)
			continue
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatal(err)
		}
		if len(env) != len(want) {
			t.Errorf("%s: %d members, want %d", body, len(env), len(want))
		}
		for k, v := range want {
			if string(env[k]) != string(v) {
				t.Errorf("%s: %s = %s, want %s", body, k, env[k], v)
			}
		}
	}
	for _, body := range []string{
		``, `{`, `{"a":1`, `{"a" 1}`, `{"a":1,}`, `{"a":1} x`, `{"a":tru}`, `{"a":[1,}`, `{a:1}`,
		`{"tickets":[{"id":1}]`, `{"tickets":[{"id":1}], "x": [1,]}`, `{"tickets":[{"id":"1}]}`,
		`{"a":1,"a":2}`, `{"results":[1,],"tickets":[]}`,
	} {
		if _, ok := scanEnvelope([]byte(body), keys); ok {
			t.Errorf("%q: scan accepted a body it should leave to json.Unmarshal", body)
		}
	}
	// Rows are split by structure and validated by their own decoding;
	// list re-checks the body when one fails.
	rows, _, _, err := splitEnvelope([]byte(`{"tickets":[{"id":1},{"id":2,}]}`), keys)
	if err != nil || len(rows) != 2 || json.Valid(rows[1]) {
		t.Fatalf("rows %q, err %v", rows, err)
	}
}
