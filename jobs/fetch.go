package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/halosync/halosync/internal/entity"
	hsync "github.com/halosync/halosync/sync"
)

// QueueFetch is the queue of targeted fetches (webhooks). It has workers of
// its own, so a fetch never waits behind a pull that runs for hours.
const QueueFetch = "fetch"

// fetchWorkers is how many targeted fetches one process runs at once.
const fetchWorkers = 2

// FetchTicketArgs asks for one ticket and its actions to be re-read from Halo
// (enqueued by the webhook receiver). Not unique in River's sense, which would
// also count a running fetch: a change while a fetch runs must lead to a
// second fetch. The receiver instead adds none while one for the ticket still
// waits (store.WaitingFetch), and drops duplicate deliveries.
type FetchTicketArgs struct {
	TicketID int64 `json:"ticket_id"`
}

// Kind is the River job kind.
func (FetchTicketArgs) Kind() string { return "halosync_fetch_ticket" }

// InsertOpts puts fetches on their queue at River's highest priority.
func (FetchTicketArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueFetch, Priority: 1, MaxAttempts: 10, Tags: []string{EntityTag(entity.Tickets.Name)}}
}

// FetchTicketWorker works FetchTicketArgs.
type FetchTicketWorker struct {
	river.WorkerDefaults[FetchTicketArgs]
	Puller *hsync.Puller
}

// Timeout bounds one fetch: two requests and two small transactions, plus
// any wait for the shared rate budget.
func (w *FetchTicketWorker) Timeout(*river.Job[FetchTicketArgs]) time.Duration {
	return 5 * time.Minute
}

// Work re-reads the ticket and steers River by the error's kind.
func (w *FetchTicketWorker) Work(ctx context.Context, job *river.Job[FetchTicketArgs]) error {
	_, err := w.Puller.FetchTicket(ctx, job.Args.TicketID)
	return Steer(err)
}

// addFetch registers the fetch worker and, for working clients, its queue.
func addFetch(workers *river.Workers, rc *river.Config, cfg Config) {
	river.AddWorker(workers, &FetchTicketWorker{Puller: cfg.Puller})
	if rc.Queues != nil {
		rc.Queues[QueueFetch] = quickQueue(fetchWorkers)
	}
}
