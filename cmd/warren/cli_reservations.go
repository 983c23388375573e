package main

import (
	"context"
	"fmt"

	"warren/httpapi/client"
)

func reservationSubs() map[string]command {
	return map[string]command{
		"add": {summary: "reserve a subdomain: add NAME", run: runReservationAdd},
		"rm":  {summary: "release a reserved subdomain: rm NAME", run: runReservationRm},
	}
}

// runReservations is `warren reservations [--json]`.
func runReservations(ctx context.Context, e *env, args []string) error {
	return listing[client.Reservation]{
		name: "reservations", usage: "reservations [--json] | reservations add NAME | reservations rm NAME",
		empty: "No reserved subdomains.", header: []string{"SUBDOMAIN", "RESERVED"},
		fetch: (*client.Client).Reservations,
		row:   func(r client.Reservation) []string { return []string{r.Subdomain, when(r.CreatedAt)} },
	}.run(ctx, e, args)
}

func runReservationAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "reservations add", "reservations add NAME [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "NAME"); err != nil {
		return err
	}
	c, err := apiClient(e, false)
	if err != nil {
		return err
	}
	r, err := c.Reserve(ctx, pos[0])
	if err != nil {
		return apiError(err)
	}
	if *asJSON {
		return writeJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "Reserved %s.\n", r.Subdomain)
	return nil
}

func runReservationRm(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "reservations rm", "reservations rm NAME")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "NAME"); err != nil {
		return err
	}
	c, err := apiClient(e, false)
	if err != nil {
		return err
	}
	if err := c.Release(ctx, pos[0]); err != nil {
		return apiError(err)
	}
	fmt.Fprintf(e.stdout, "Released %s.\n", pos[0])
	return nil
}
