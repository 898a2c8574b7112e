package main

import (
	"flag"
	"fmt"

	"iotahome/internal/envdefault"
)

// config is what devstack needs to know; every field has a flag and an
// environment fallback so that a newcomer can run it with no arguments.
type config struct {
	dataDir    string
	fresh      bool
	mwm        int
	nodeListen string
	myhomeAddr string
	watttAddr  string
	rate       float64
	avx        bool
	meter      string
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: go run ./cmd/devstack [flags]

Starts the dev Tangle node, My Home, Wattt Insights, the meter simulator on a
pseudo-terminal and the P1 reader (reading that pseudo-terminal) as separate
processes, prints the URLs and the reader's pairing code, and stops them all
on Ctrl-C. Data lives under --data and survives restarts.

Flags (environment fallback in brackets):
`)
		fs.PrintDefaults()
	}
	c := config{}
	fs.StringVar(&c.dataDir, "data", envdefault.String("DEVSTACK_DATA", "data/dev"), "data directory for every part [DEVSTACK_DATA]")
	fs.BoolVar(&c.fresh, "fresh", false, "delete the data directory first and start over")
	fs.IntVar(&c.mwm, "mwm", envdefault.Int("IOTA_MWM", 9), "minimum weight magnitude of the dev node and its clients [IOTA_MWM]")
	fs.StringVar(&c.nodeListen, "node-listen", envdefault.String("TANGLE_LISTEN", "127.0.0.1:14265"), "dev Tangle node address [TANGLE_LISTEN]")
	fs.StringVar(&c.myhomeAddr, "myhome-listen", envdefault.String("MYHOME_LISTEN", "127.0.0.1:8080"), "My Home address [MYHOME_LISTEN]")
	fs.StringVar(&c.watttAddr, "wattt-listen", envdefault.String("WATTT_LISTEN", "127.0.0.1:8081"), "Wattt Insights address [WATTT_LISTEN]")
	fs.Float64Var(&c.rate, "rate", 1, "simulated telegrams per second (above 1 the simulated meter's clock runs ahead of real time)")
	fs.StringVar(&c.meter, "meter", envdefault.String("DEVSTACK_METER", "dsmr5"), "simulated meter: dsmr5, dsmr22 or be (Belgian e-MUCS) [DEVSTACK_METER]")
	fs.BoolVar(&c.avx, "avx", avxAvailable(), "build with the AVX proof-of-work (needs amd64, cgo with a C compiler and an AVX CPU; default: on when they are there)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.mwm < 1 || c.mwm > 27 {
		return c, fmt.Errorf("--mwm must be 1..27, got %d", c.mwm)
	}
	if c.rate <= 0 {
		return c, fmt.Errorf("--rate must be positive, got %v", c.rate)
	}
	return c, nil
}
