package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// Statement is an account's bill of one UTC calendar month.
type Statement struct {
	AccountID       string  `json:"accountId"`
	Email           string  `json:"email"`
	Plan            string  `json:"plan"`
	Month           string  `json:"month"`
	Closed          bool    `json:"closed"`
	Requests        int64   `json:"requests"`
	BytesIn         int64   `json:"bytesIn"`
	BytesOut        int64   `json:"bytesOut"`
	BytesTotal      int64   `json:"bytesTotal"`
	TunnelSeconds   int64   `json:"tunnelSeconds"`
	PeakTunnels     int     `json:"peakConcurrentTunnels"`
	ReservationDays float64 `json:"reservationDays"`
	DomainDays      float64 `json:"domainDays"`
	Replays         int64   `json:"replays"`
}

// Statement returns the caller's statement for month (YYYY-MM).
func (c *Client) Statement(ctx context.Context, month string) (Statement, error) {
	var st Statement
	return st, c.do(ctx, http.MethodGet, "/api/v1/me/statements/"+url.PathEscape(month), nil, &st)
}

// StatementCSV returns the caller's statement for month as the server's CSV.
func (c *Client) StatementCSV(ctx context.Context, month string) ([]byte, error) {
	req, err := c.request(ctx, http.MethodGet, "/api/v1/me/statements/"+url.PathEscape(month)+"?format=csv", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := checkStatus(resp); err != nil {
		return nil, err
	}
	return io.ReadAll(resp.Body)
}
