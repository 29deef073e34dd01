// node_echo.js server PORT: dgram echo servers, udp4 on 0.0.0.0:PORT and
//   udp6 on [::]:PORT (ipv6Only); prints "listening" when both are bound.
// node_echo.js client udp4|udp6 HOST PORT: 20 datagrams of assorted sizes,
//   one at a time; each answer must equal what was sent and come from
//   HOST:PORT (rinfo). Prints "OK ..." or "FAIL ..." (exit 1).
'use strict';
const dgram = require('dgram');
const crypto = require('crypto');
const [mode, a1, a2, a3] = process.argv.slice(2);

if (mode === 'server') {
	const port = Number(a1);
	let bound = 0;
	const serve = (type, addr) => {
		const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
		s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
		s.on('error', (e) => { console.log('error', type, e.message); process.exit(1); });
		s.bind(port, addr, () => { if (++bound === 2) console.log('listening', port); });
	};
	serve('udp4', '0.0.0.0');
	serve('udp6', '::');
} else {
	const type = a1, host = a2, port = Number(a3);
	const sizes = [0, 1, 1400, 1500, 9000, 20000, 60000, 3, 700, 4096];
	while (sizes.length < 20) sizes.push(crypto.randomInt(0, 65000));
	const s = dgram.createSocket(type);
	let i = 0, sent = null, timer = null, bytes = 0;
	const fail = (m) => { console.log('FAIL', type, m); process.exit(1); };
	const next = () => {
		if (i === sizes.length) {
			console.log('OK', type, i, 'datagrams', bytes, 'bytes');
			s.close();
			return;
		}
		sent = crypto.randomBytes(sizes[i]);
		timer = setTimeout(() => fail(`datagram ${i} of ${sent.length} bytes: no answer within 3 s`), 3000);
		s.send(sent, port, host, (e) => { if (e) fail(`send ${i}: ${e.message}`); });
	};
	s.on('message', (msg, rinfo) => {
		clearTimeout(timer);
		if (rinfo.address !== host || rinfo.port !== port)
			fail(`datagram ${i}: answer from ${rinfo.address}:${rinfo.port}`);
		if (rinfo.size !== sent.length || !msg.equals(sent))
			fail(`datagram ${i}: ${sent.length} bytes sent, ${msg.length} back`);
		bytes += msg.length;
		i++;
		next();
	});
	s.on('error', (e) => fail(e.message));
	s.bind(0, () => next());
}
