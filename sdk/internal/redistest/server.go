package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// startServer runs redis-server on a free port of 127.0.0.1 with its files
// in a temp dir, persisting nothing; the returned server's stop ends it and
// removes the dir.
func startServer() (*server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tracium-redistest-")
	if err != nil {
		return nil, err
	}
	// Another process may take the free port before the server binds it;
	// parallel test packages make that plausible, so try again elsewhere.
	for attempt := 1; ; attempt++ {
		srv, err := startOn(bin, dir)
		if err == nil || attempt == 3 {
			if err != nil {
				_ = os.RemoveAll(dir)
			}
			return srv, err
		}
	}
}

// startOn starts one redis-server in dir and waits until it answers.
func startOn(bin, dir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile := filepath.Join(dir, "redis.log")
	cmd := exec.Command(bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--logfile", logFile)
	// The server dies with the test process even when Main is bypassed
	// (a -test.timeout panic, a kill), so no run leaves one behind.
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = os.RemoveAll(dir)
	}
	srv := &server{
		addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		desc: fmt.Sprintf("redis-server started at 127.0.0.1:%d", port),
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			return nil, fmt.Errorf("redis-server exited: %v: %s", err, tail(logFile, 2000))
		default:
		}
		if ping(srv) == nil {
			// Only a server that started may be stopped by deleting its
			// dir; one that failed has already exited.
			srv.stop = stop
			return srv, nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return nil, errors.New("redis-server did not answer within 10s: " + tail(logFile, 2000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
