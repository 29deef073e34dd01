// netcon-goprobe - a small Go program for tests/suites/seccomp.sh. Go makes
// its socket calls as raw system calls (no libc, so no LD_PRELOAD): under
// netcon it runs through the seccomp supervisor (netcon-supervise).
//
//	serve-echo ADDR           TCP echo server, a goroutine per connection
//	serve-http ADDR DIR       net/http file server for DIR
//	fetch URL                 net/http GET: prints "status S bytes N sha256 HEX"
//	load ADDR N BYTES         N clients at once, each sends BYTES and checks the echo
//	udp-echo ADDR             unconnected UDP echo server (ReadFrom/WriteTo)
//	udp-ask ADDR N            N datagrams from an unconnected socket, each echo compared
//	resolve NAME              net.LookupHost with Go's own resolver (/etc/resolv.conf)
//
// Servers print "listening ADDR" once they listen. Every command exits 0 when
// all it checked was right, 1 otherwise (with the reason on stderr).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "netcon-goprobe: "+format+"\n", args...)
	os.Exit(1)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		die("not a count: %q", s)
	}
	return n
}

// pattern returns n bytes that depend on seed, the same every time.
func pattern(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func serveEcho(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		die("listen: %v", err)
	}
	fmt.Printf("listening %s\n", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			die("accept: %v", err)
		}
		go func(c net.Conn) {
			defer c.Close()
			io.Copy(c, c)
		}(c)
	}
}

func serveHTTP(addr, dir string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		die("listen: %v", err)
	}
	fmt.Printf("listening %s\n", l.Addr())
	die("serve: %v", http.Serve(l, http.FileServer(http.Dir(dir))))
}

func fetch(url string) {
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		die("get: %v", err)
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		die("body: %v after %d bytes", err, n)
	}
	fmt.Printf("status %d bytes %d sha256 %x\n", resp.StatusCode, n, h.Sum(nil))
}

// echoOnce sends size bytes on one connection and compares what comes back.
func echoOnce(addr string, seed int64, size int) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	out := pattern(seed, size)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(out)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		werr <- err
	}()
	in, err := io.ReadAll(c)
	if err != nil {
		return fmt.Errorf("read: %v after %d bytes", err, len(in))
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %v", err)
	}
	if !bytes.Equal(in, out) {
		return fmt.Errorf("echo of %d bytes differs (%d came back)", size, len(in))
	}
	return nil
}

func load(addr string, n, size int) {
	start := time.Now()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := echoOnce(addr, int64(i+1), size); err != nil {
				errs <- fmt.Errorf("client %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	bad := 0
	for err := range errs {
		fmt.Fprintln(os.Stderr, err)
		bad++
	}
	if bad > 0 {
		die("load: %d of %d clients failed", bad, n)
	}
	fmt.Printf("load: %d clients x %d bytes echoed identical in %.2f s\n", n, size, time.Since(start).Seconds())
}

func udpEcho(addr string) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		die("listen: %v", err)
	}
	fmt.Printf("listening %s\n", pc.LocalAddr())
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			die("readfrom: %v", err)
		}
		if _, err := pc.WriteTo(buf[:n], from); err != nil {
			die("writeto %v: %v", from, err)
		}
	}
}

func udpAsk(addr string, count int) {
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		die("address: %v", err)
	}
	local := ":0"
	if to.IP.To4() == nil {
		local = "[::]:0"
	}
	pc, err := net.ListenPacket("udp", local)
	if err != nil {
		die("listen: %v", err)
	}
	buf := make([]byte, 65536)
	total := 0
	for i := 0; i < count; i++ {
		out := pattern(int64(i), (i*97)%1401)
		if _, err := pc.WriteTo(out, to); err != nil {
			die("writeto: %v", err)
		}
		pc.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			die("datagram %d: %v", i, err)
		}
		f := from.(*net.UDPAddr)
		if !bytes.Equal(buf[:n], out) {
			die("datagram %d: echo of %d bytes differs (%d came back)", i, len(out), n)
		}
		if !f.IP.Equal(to.IP) || f.Port != to.Port {
			die("datagram %d: echo from %v, not %v", i, from, to)
		}
		total += n
	}
	fmt.Printf("udp: %d datagrams (%d bytes) echoed identical from %v\n", count, total, to)
}

func resolve(name string) {
	r := &net.Resolver{PreferGo: true}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, name)
	if err != nil {
		die("lookup: %v", err)
	}
	sort.Strings(addrs)
	fmt.Println(strings.Join(addrs, " "))
}

func main() {
	a := os.Args[1:]
	switch {
	case len(a) == 2 && a[0] == "serve-echo":
		serveEcho(a[1])
	case len(a) == 3 && a[0] == "serve-http":
		serveHTTP(a[1], a[2])
	case len(a) == 2 && a[0] == "fetch":
		fetch(a[1])
	case len(a) == 4 && a[0] == "load":
		load(a[1], atoi(a[2]), atoi(a[3]))
	case len(a) == 2 && a[0] == "udp-echo":
		udpEcho(a[1])
	case len(a) == 3 && a[0] == "udp-ask":
		udpAsk(a[1], atoi(a[2]))
	case len(a) == 2 && a[0] == "resolve":
		resolve(a[1])
	default:
		fmt.Fprintln(os.Stderr, "usage: see the top of tests/go/netcon-goprobe/main.go")
		os.Exit(2)
	}
}
