// Test infrastructure: the pod sandbox ("pause") image's only program. It holds the pod's
// namespaces open and exits on SIGTERM or SIGINT, as the upstream pause container does.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}
