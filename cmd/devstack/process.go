package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is one child of devstack. Its output is copied line by line to
// devstack's stdout with a name prefix, and also offered to an optional
// watcher (used to learn the simulator's pseudo-terminal path).
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// lineWriter keeps lines of different children from interleaving mid-line.
type lineWriter struct {
	mu  *sync.Mutex
	out io.Writer
}

func (w lineWriter) writeLine(prefix, line string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.out, "%-8s| %s\n", prefix, line)
}

// start runs bin with args; watch, when not nil, sees every output line.
func start(name, bin string, args []string, out lineWriter, watch func(string)) (*process, error) {
	cmd := exec.Command(bin, args...)
	// Own process group, so a Ctrl-C in the terminal reaches devstack only and
	// devstack stops the children in a chosen order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stopWithParent(cmd.SysProcAttr)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			out.writeLine(name, line)
			if watch != nil {
				watch(line)
			}
		}
		io.Copy(io.Discard, pr) // keep draining if a line was too long
	}()
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	return p, nil
}

// stop asks the process to shut down cleanly (SIGINT, as Ctrl-C would) and
// kills it if it has not exited within grace.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}
