package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// emulatorProc is examples/emulator running as its own process, so its CPU
// and memory never count against the client under test.
type emulatorProc struct {
	cmd      *exec.Cmd
	endpoint string
	keyID    string
	secret   string
}

// wanFaults is the emulator's stand-in for a long-haul link.
type wanFaults struct {
	latency   time.Duration
	bandwidth int64 // bytes per second per connection; 0: none
}

// buildEmulator compiles examples/emulator into dir, unless bin names a
// binary already built.
func buildEmulator(ctx context.Context, dir, bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	out := filepath.Join(dir, "emulator")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/vodupload/vodupload/examples/emulator")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build examples/emulator: %w", err)
	}
	return out, nil
}

// startEmulator runs bin in discard mode and reads the endpoint and root
// AccessKey from its first line.
func startEmulator(bin string, f wanFaults) (*emulatorProc, error) {
	args := []string{"-storage", "discard"}
	if f.latency > 0 {
		args = append(args, "-latency", f.latency.String())
	}
	if f.bandwidth > 0 {
		args = append(args, "-bandwidth", strconv.FormatInt(f.bandwidth, 10))
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	var hello struct {
		OSS    string `json:"oss_endpoint"`
		KeyID  string `json:"access_key_id"`
		Secret string `json:"access_key_secret"`
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &hello)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("read the emulator's first line: %w", err)
	}
	return &emulatorProc{cmd: cmd, endpoint: hello.OSS, keyID: hello.KeyID, secret: hello.Secret}, nil
}

// env passes the emulator to a child in its environment, not its
// arguments, which other users of the machine can read.
func (e *emulatorProc) env() []string {
	return append(os.Environ(), envEndpoint+"="+e.endpoint, envKeyID+"="+e.keyID, envSecret+"="+e.secret)
}

// stop asks the emulator to shut down and waits for it.
func (e *emulatorProc) stop() error {
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop emulator: %w", err)
	}
	if err := e.cmd.Wait(); err != nil {
		return fmt.Errorf("emulator exited: %w", err)
	}
	return nil
}
