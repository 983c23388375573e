package bustest_test

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"go.uber.org/goleak"

	"warren/events/bustest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestGoChannel runs the bus contract against watermill's GoChannel, as
// the composition root configures it: blocking each publish until the
// subscribers ack is what keeps a topic's messages in order (the relay,
// not the writer, waits for it).
func TestGoChannel(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Bus {
		gc := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024, BlockPublishUntilSubscriberAck: true}, watermill.NopLogger{})
		t.Cleanup(func() { gc.Close() })
		return bustest.Bus{Publisher: gc, Subscriber: gc}
	})
}
