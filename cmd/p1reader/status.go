package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/skip2/go-qrcode"

	"iotahome/internal/envdefault"
	"iotahome/pi/reader"
)

const statusUsage = `Usage: p1reader status [flags]

Prints what the reader is doing, from its state file (works while "run" is
running): device address, pairing state (and, while unpaired, the pairing code
and its QR code), telegrams read/rejected/published, queue depth and the last
publish time.

Flags:
`

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", envdefault.String("P1_STATE", "data/reader/reader.db"), "state file of the reader (env P1_STATE)")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	fs.Usage = func() { fmt.Fprint(stderr, statusUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	st, err := reader.ReadStatus(ctx, *state)
	if err != nil {
		fmt.Fprintf(stderr, "p1reader status: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			fmt.Fprintf(stderr, "p1reader status: %v\n", err)
			return 1
		}
		return 0
	}
	printStatus(stdout, st)
	return 0
}

func printStatus(w io.Writer, st reader.Status) {
	fmt.Fprintf(w, "device address:   %s\n", st.DeviceAddress)
	switch {
	case !st.Paired:
		fmt.Fprintf(w, "pairing:          unpaired\n")
	case st.Following:
		fmt.Fprintf(w, "pairing:          paired with My Home at %s, following its events\n", st.HomeAddress)
	default:
		fmt.Fprintf(w, "pairing:          paired with My Home at %s, waiting for its DEVICE_ADDED event\n", st.HomeAddress)
	}
	fmt.Fprintf(w, "providers:        %d authorized\n", st.Providers)
	fmt.Fprintf(w, "telegrams:        %d read, %d rejected\n", st.Read, st.Rejected)
	fmt.Fprintf(w, "readings:         %d published in %d messages, %d dropped (queue full)\n", st.Published, st.Messages, st.Dropped)
	fmt.Fprintf(w, "queue:            %d readings, %d channel messages and %d direct messages waiting\n", st.Queue, st.PendingMessages, st.PendingDirect)
	fmt.Fprintf(w, "last reading:     %s\n", when(st.LastReadAt))
	fmt.Fprintf(w, "last publish:     %s\n", when(st.LastPublishAt))
	if !st.Paired {
		fmt.Fprintln(w)
		printPairing(w, st)
	}
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s ago)", t.Format(time.RFC3339), time.Since(t).Round(time.Second))
}

// printPairing shows what the owner types (or scans) into My Home.
func printPairing(w io.Writer, st reader.Status) {
	fmt.Fprintf(w, "Not paired. In My Home, add a device with\n  address: %s\n  code:    %s\nor scan:\n", st.DeviceAddress, st.PairingCode)
	q, err := qrcode.New(st.PairingQR, qrcode.Medium)
	if err != nil {
		fmt.Fprintf(w, "(no QR code: %v)\n", err)
		return
	}
	// Half-block characters, two modules per character cell; light modules
	// are drawn, for the usual dark terminal background.
	fmt.Fprint(w, q.ToSmallString(false))
	fmt.Fprintf(w, "QR text: %s\n", st.PairingQR)
}
