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
	return action[client.Reservation]{name: "reservations add", usage: "reservations add NAME [--json]", arg: "NAME",
		call: (*client.Client).Reserve,
		say: func(e *env, _ string, r client.Reservation) error {
			_, err := fmt.Fprintf(e.stdout, "Reserved %s.\n", r.Subdomain)
			return err
		},
	}.run(ctx, e, args)
}

func runReservationRm(ctx context.Context, e *env, args []string) error {
	return action[done]{name: "reservations rm", usage: "reservations rm NAME", arg: "NAME",
		call: noResult((*client.Client).Release), say: saying("Released %s.")}.run(ctx, e, args)
}
