package certs

import (
	"context"
	"errors"
	"log/slog"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapToSlog hands certmagic's zap records to the server's slog logger, so
// ACME progress and failures land in the same stream as everything else.
// Levels are kept (a refused on-demand handshake is not logged by certmagic
// at all), except that an obtain cut short by Close is no error.
type zapToSlog struct {
	h      slog.Handler
	fields []zapcore.Field
}

func newZapLogger(l *slog.Logger) *zap.Logger {
	if l == nil {
		return zap.NewNop()
	}
	return zap.New(&zapToSlog{h: l.Handler()}).Named("acme")
}

func (c *zapToSlog) Enabled(lvl zapcore.Level) bool {
	return c.h.Enabled(context.Background(), slogLevel(lvl))
}

func (c *zapToSlog) With(fs []zapcore.Field) zapcore.Core {
	return &zapToSlog{h: c.h, fields: append(append([]zapcore.Field(nil), c.fields...), fs...)}
}

func (c *zapToSlog) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *zapToSlog) Write(e zapcore.Entry, fs []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fs {
		f.AddTo(enc)
	}
	lvl := slogLevel(e.Level)
	if lvl >= slog.LevelWarn && cancelled(fs) {
		lvl = slog.LevelInfo
	}
	r := slog.NewRecord(e.Time, lvl, e.Message, 0)
	r.AddAttrs(slog.String("logger", e.LoggerName))
	for k, v := range enc.Fields {
		r.AddAttrs(slog.Any(k, v))
	}
	return c.h.Handle(context.Background(), r)
}

func (c *zapToSlog) Sync() error { return nil }

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

// cancelled: the record's error is a cancellation (shutdown).
func cancelled(fs []zapcore.Field) bool {
	for _, f := range fs {
		if err, ok := f.Interface.(error); ok && f.Type == zapcore.ErrorType && errors.Is(err, context.Canceled) {
			return true
		}
	}
	return false
}
