package halofake

import (
	"fmt"
	"strings"
)

// Word lists deliberately include non-ASCII names, apostrophes, ampersands and CJK text:
// real tenants have them and they break naive encoders.
var (
	firstNames = []string{"Alice", "Bob", "Chloé", "Dmitri", "Émile", "Fatima", "Grzegorz", "Hannah", "Ingrid", "José",
		"Kwame", "Łukasz", "Mei", "Niamh", "Oğuz", "Priya", "Quentin", "Rosa", "Søren", "Thandiwe", "Uriel", "Võ",
		"Wiebke", "Xiǎo", "Yusuf", "Zoë", "Ngọc", "Seán", "Ayşe", "Björn"}
	lastNames = []string{"Smith", "O'Brien", "Müller", "García", "Nakamura", "Kowalski", "Nguyễn", "Okafor", "Dubois",
		"Johansson", "Papadopoulos", "Ó Súilleabháin", "Fernández", "Van der Berg", "Żukowski", "Patel", "Lefèvre",
		"Håkansson", "Ivanova", "Chen", "MacDonald", "D'Angelo", "Schröder", "Yılmaz", "Brown"}
	companyA = []string{"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
		"Hooli", "Vandelay", "Müller & Söhne", "Café Ñandú", "Østergaard", "東京テック", "Zürich Rück", "Łódź Logistics",
		"Blue Sky", "Northwind", "Contoso", "Fabrikam", "Wingtip", "Adventure Works", "Litware"}
	companyB = []string{"Ltd", "GmbH", "plc", "Inc.", "LLC", "S.A.", "ApS", "株式会社", "& Co", "Holdings", "Group", "Partners"}
	places   = []string{"Head Office", "London", "Manchester", "Berlin", "München", "São Paulo", "Kraków", "Reykjavík",
		"Warehouse", "Remote", "Dublin", "Tōkyō", "Main", "Annex"}
	subjects = []string{"Printer offline", "Cannot log in to VPN", "Outlook keeps crashing", "New starter: laptop setup",
		"Password reset", "Wi-Fi drops every hour", "Invoice PDF won't open", "Request: access to shared drive",
		"Teams audio echo", "Server disk 95% full", "Phishing email reported", "Licence renewal — Adobe",
		"Café POS terminal frozen", "Überweisung fehlgeschlagen", "ネットワーク接続エラー", "Backup job failed (code 0x80070005)",
		"Monitor flickering 🖥️", "Move desk & phone", "\"Urgent\" <script> in subject"}
	timezones = []string{"GMT Standard Time", "W. Europe Standard Time", "Eastern Standard Time", "", "Tokyo Standard Time"}
	colours   = []string{"#2bd3c6", "#e74c3c", "#3498db", "#f1c40f", "#9b59b6", "#1abc9c"}
	outcomes  = []string{"Private Note", "Email Update", "Public Note", "Phone Call", "Supplier Update"}
)

func personName(seed int64, kind uint64, id int64) (first, last string) {
	r := newRNG(seed, kind+100, id)
	return pick(r, firstNames), pick(r, lastNames)
}

func clientName(seed int64, id int64) string {
	r := newRNG(seed, kClient+100, id)
	return fmt.Sprintf("%s %s %d", pick(r, companyA), pick(r, companyB), id)
}

func siteName(seed int64, id int64) string {
	r := newRNG(seed, kSite+100, id)
	return pick(r, places)
}

func initials(first, last string) string {
	var b strings.Builder
	for _, s := range []string{first, last} {
		for _, c := range s {
			b.WriteRune(c)
			break
		}
	}
	return b.String()
}

func emailFor(first, last string, id int64, domain string) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, c := range strings.ToLower(s) {
			if c >= 'a' && c <= 'z' {
				b.WriteRune(c)
			}
		}
		if b.Len() == 0 {
			return "user"
		}
		return b.String()
	}
	return fmt.Sprintf("%s.%s%d@%s", clean(first), clean(last), id, domain)
}

// ticketText builds a summary, plain details and HTML details; a few tickets get very
// long bodies.
func ticketText(r *rng, id int64) (summary, details, html string) {
	summary = pick(r, subjects)
	who, _ := pick(r, firstNames), 0
	para := fmt.Sprintf("Hi team,\n%s reports: %s since this morning. Ticket #%d — tried restarting, no luck. Ça ne marche pas.", who, strings.ToLower(summary), id)
	reps := 1
	if r.chance(0.02) {
		reps = 60 + r.intn(200) // long bodies (up to ~40 KB)
	}
	details = strings.Repeat(para+"\n\n", reps)
	html = "<p>" + strings.ReplaceAll(escapeHTML(details), "\n\n", "</p><p>") + "</p><ul><li>Priority: <b>high</b></li><li>Ref: &quot;" + fmt.Sprint(id) + "&quot;</li></ul>"
	return summary, details, html
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;").Replace(s)
}
