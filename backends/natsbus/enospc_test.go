package natsbus_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	nserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus/natstest"
)

// What nats-server itself does after ENOSPC, which storeWatch works
// around (pinned here: if it fails after an upgrade, the server changed).
// A plain server, no automl code: a stream that failed to write keeps
// failing after space comes back, unanswered (the publisher times out);
// stream info still works and a stream update does not help; restarting
// JetStream does, with every message stored before.
func TestJetStreamKeepsItsWriteErrorAfterENOSPC(t *testing.T) {
	disk := filepath.Join(t.TempDir(), "disk")
	if why := natstest.SmallDisk(t, disk, "16m"); why != "" {
		t.Skip(why)
	}
	store := filepath.Join(disk, "store")
	s, err := nserver.NewServer(&nserver.Options{Port: -1, NoLog: true, NoSigs: true, JetStream: true, StoreDir: store, JetStreamMaxStore: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	j := js(t, nc)
	ctx := context.Background()
	cfg := jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, MaxBytes: 8 << 20}
	if _, err := j.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	publish := func() error {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		_, err := j.Publish(pctx, "s.x", make([]byte, 1000))
		return err
	}
	if err := publish(); err != nil {
		t.Fatal(err)
	}
	free := natstest.FillDisk(t, disk)
	stored := 1
	for {
		err := publish()
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("publish on a full disk: %v, want no answer (a timeout)", err)
			}
			break
		}
		stored++
		if stored > 20000 {
			t.Fatal("16 MB of publishes stored on a full disk")
		}
	}
	free()
	if err := publish(); err == nil {
		t.Fatal("the stream stored again once space came back: nats-server now clears its write error")
	}
	if _, err := j.Stream(ctx, "S"); err != nil {
		t.Errorf("stream info on a stream with a write error: %v", err)
	}
	cfg.MaxBytes = 4 << 20
	if _, err := j.UpdateStream(ctx, cfg); err != nil {
		t.Errorf("stream update: %v", err)
	}
	if err := publish(); err == nil {
		t.Fatal("a stream update cleared the write error")
	}
	if err := s.ShutdownJetStream(); err != nil {
		t.Fatal(err)
	}
	if err := s.EnableJetStream(&nserver.JetStreamConfig{StoreDir: store, MaxStore: 1 << 30, MaxMemory: 64 << 20}); err != nil {
		t.Fatal(err)
	}
	if err := publish(); err != nil {
		t.Fatalf("publish after restarting JetStream: %v", err)
	}
	info, err := j.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != uint64(stored+1) {
		t.Errorf("%d messages after the restart, want the %d stored before and the new one", n, stored)
	}
	t.Logf("%d messages stored before the disk was full; all there after restarting JetStream", stored)
}
