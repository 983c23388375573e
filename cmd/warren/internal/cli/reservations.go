package cli

import (
	"context"
	"fmt"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// RunReservations is `warren reservations [--json]`.
func RunReservations(ctx context.Context, e *command.Env, args []string) error {
	return listing[client.Reservation]{
		name: "reservations", usage: "reservations [--json] | reservations add NAME | reservations rm NAME",
		empty: "No reserved subdomains.", header: []string{"SUBDOMAIN", "RESERVED"},
		fetch: (*client.Client).Reservations,
		row:   func(r client.Reservation) []string { return []string{r.Subdomain, when(r.CreatedAt)} },
	}.run(ctx, e, args)
}

// RunReservationAdd is `warren reservations add NAME`.
func RunReservationAdd(ctx context.Context, e *command.Env, args []string) error {
	return action[client.Reservation]{name: "reservations add", usage: "reservations add NAME [--json]", arg: "NAME",
		call: (*client.Client).Reserve,
		say: func(e *command.Env, _ string, r client.Reservation) error {
			_, err := fmt.Fprintf(e.Stdout, "Reserved %s.\n", r.Subdomain)
			return err
		},
	}.run(ctx, e, args)
}

// RunReservationRm is `warren reservations rm NAME`.
func RunReservationRm(ctx context.Context, e *command.Env, args []string) error {
	return action[done]{name: "reservations rm", usage: "reservations rm NAME", arg: "NAME",
		call: noResult((*client.Client).Release), say: saying("Released %s.")}.run(ctx, e, args)
}
