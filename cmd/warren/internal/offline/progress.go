package offline

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// isTerminal reports whether w is a character device (a terminal), where a
// redrawn progress bar makes sense; pipes and files get plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar redraws one line: label, bar, count and rate. A nil bar does
// nothing, so callers need no branches for the non-terminal case.
type progressBar struct {
	w     io.Writer
	label string
	total uint64
	start time.Time
	last  time.Time
}

func newProgressBar(w io.Writer, label string, total uint64) *progressBar {
	return &progressBar{w: w, label: label, total: total, start: time.Now()}
}

const barWidth = 30

// set draws the bar at done, at most ten times a second.
func (p *progressBar) set(done uint64) {
	if p == nil {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done < p.total {
		return
	}
	p.last = now
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(done)/float64(p.total), 1)
	}
	fill := int(frac * barWidth)
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 1e-9)
	// Percent rounds down so 100% means done.
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d events %.0f/s ", p.label,
		strings.Repeat("#", fill), strings.Repeat(".", barWidth-fill), int(frac*100), done, p.total, rate)
}

// done ends the bar's line.
func (p *progressBar) done() {
	if p == nil || p.last.IsZero() {
		return
	}
	fmt.Fprintln(p.w)
}
