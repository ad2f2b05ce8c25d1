package converge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/halosync/halosync/halo/halofake"
	"github.com/halosync/halosync/jobs"
)

// startProcess starts `halosync worker` on the history's database and proxy, configured only through its
// environment, as an operator would.
func (e *env) startProcess() error {
	cmd := exec.Command(e.w.Binary, "worker")
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HALO") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"DATABASE_URL="+e.w.dbURL,
		"HALO_RESOURCE_SERVER="+e.px.ts.URL,
		"HALO_CLIENT_ID="+halofake.DefaultClientID,
		"HALO_CLIENT_SECRET="+halofake.DefaultClientSecret,
		"HALO_RATE_LIMIT=100000/1s",
		"HALO_TIMEOUT="+clientTimeout.String(),
		"HALOSYNC_HTTP_ADDR=127.0.0.1:0",
		"HALOSYNC_LOG_LEVEL=info", "HALOSYNC_LOG_FORMAT=json",
		"HALOSYNC_INTERVAL_TICKETS=1h", "HALOSYNC_INTERVAL_CUSTOMERS=1h", "HALOSYNC_INTERVAL_LOOKUPS=1h",
		"HALOSYNC_FULL_INTERVAL=0",
		"HALOSYNC_MASS_DELETE_SHARE=0.99",
		"HALOSYNC_AUTO_MIGRATE=false",
		"GOMEMLIMIT=64MiB",
	)
	// Its log says when it works ("worker started": River runs, the listener too), so that a Crash right
	// after hits a running worker.
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			line := sc.Text()
			if !once && strings.Contains(line, `"worker started"`) {
				once = true
				close(started)
			}
			if e.w.Trace != nil && strings.Contains(line, `"level":"ERROR"`) {
				e.w.Trace("worker: %s", line)
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start halosync worker: %w", err)
	}
	wk := &worker{proc: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = pw.Close()
		close(wk.exited)
	}()
	e.work = wk
	select {
	case <-started:
		return nil
	case <-wk.exited:
		return fmt.Errorf("halosync worker exited at start: %v", cmd.ProcessState)
	case <-time.After(10 * time.Second):
	}
	return fmt.Errorf("halosync worker did not start within 10s")
}

// stopProcess SIGKILLs the worker (a crash) or SIGTERMs it and waits for its drain.
func stopProcess(wk *worker, crash bool) {
	sig := syscall.SIGTERM
	if crash {
		sig = syscall.SIGKILL
	}
	_ = wk.proc.Process.Signal(sig)
	select {
	case <-wk.exited:
	case <-time.After(30 * time.Second):
		_ = wk.proc.Process.Kill()
		<-wk.exited
	}
}

// insertPull enqueues a pull for whichever worker runs (in process or the subprocess).
func (e *env) insertPull(args jobs.PullArgs) {
	c := e.w.inserter
	if e.work != nil && e.work.rc != nil {
		c = e.work.rc
	}
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	_, _ = c.Insert(ctx, args, nil) // a dropped connection: the operator would retry later
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
