// What the runner and its shell tool do in real use, as jobs: the workloads the
// seccomp allowlist is derived from (sandbox-seccomp-derive.ts, DOCKER-HAZARDS.md
// "Seccomp for a Node runner") and that the engine tier then runs under it.

export const SESSION = 'friend-p2p-alice-3f9a1c'

export const MESSAGE_JOB = { type: 'job', kind: 'message', text: 'Hello\u0000 from\r\nalice: e\u0301 \u001b[31m\ud800', session: SESSION }
export const MESSAGE_EXPECTED = 'Hello from\nalice: é [31m\ufffd'

// Node in the shell tool: hashing, AEAD, scrypt on the threadpool, zlib, fs, a
// child process, a worker thread and timers, as a model-written script would.
const NODE_SCRIPT = [
  'const c = require("crypto"), z = require("zlib"), fs = require("fs"), cp = require("child_process"), { Worker } = require("worker_threads");',
  'const h = c.createHash("sha256").update("wopr").digest("hex");',
  'const e = c.createCipheriv("aes-256-gcm", c.randomBytes(32), c.randomBytes(12)); e.update("x"); e.final();',
  'const g = z.gunzipSync(z.gzipSync(Buffer.alloc(100000, 1))).length;',
  'fs.writeFileSync("/tmp/n.json", JSON.stringify({ h }));',
  'const same = JSON.parse(fs.readFileSync("/tmp/n.json", "utf8")).h === h;',
  'const child = cp.execFileSync("/bin/echo", ["child"]).toString().trim();',
  'c.scrypt("pw", "salt", 16, (err, key) => {',
  '  const w = new Worker("require(\\"worker_threads\\").parentPort.postMessage(6 * 7)", { eval: true });',
  '  w.on("message", (m) => setTimeout(() => { console.log(h.slice(0, 8), g, same, child, key.length, m); w.terminate(); }, 5));',
  '});',
].join(' ')

// Node as a model might use it beyond computing: a loopback server (network
// "none" still has lo), an IPC child, the fs calls of a build script, interfaces
// and name lookup. Prints "pong <text> <interfaces> <cpus?> <address> <ipc>".
const NODE_IO_SCRIPT = [
  'const net = require("net"), fs = require("fs"), os = require("os"), cp = require("child_process"), dns = require("dns");',
  'const srv = net.createServer((s) => s.end("pong")).listen(0, "127.0.0.1", () => {',
  '  let got = ""; const c = net.connect(srv.address().port, "127.0.0.1"); c.on("data", (x) => (got += x));',
  '  c.on("end", async () => {',
  '    srv.close();',
  '    fs.mkdirSync("/tmp/nd/x", { recursive: true }); fs.writeFileSync("/tmp/nd/a", "1"); fs.renameSync("/tmp/nd/a", "/tmp/nd/b");',
  '    fs.copyFileSync("/tmp/nd/b", "/tmp/nd/c"); fs.symlinkSync("b", "/tmp/nd/l"); fs.chmodSync("/tmp/nd/c", 0o600); fs.utimesSync("/tmp/nd/c", 1, 1);',
  '    const fd = fs.openSync("/tmp/nd/c", "r+"); fs.ftruncateSync(fd, 0); fs.fsyncSync(fd); fs.closeSync(fd);',
  '    const text = await fs.promises.readFile("/tmp/nd/l", "utf8"); fs.rmSync("/tmp/nd", { recursive: true });',
  '    const ifs = Object.keys(os.networkInterfaces()).join(","); const cpus = os.cpus().length > 0;',
  '    process.on("SIGUSR2", () => {}); process.kill(process.pid, "SIGUSR2");',
  '    dns.lookup("localhost", { family: 4 }, (err, address) => {',
  '      const child = cp.spawn(process.execPath, ["-e", "process.send(7)"], { stdio: ["ignore", "ignore", "ignore", "ipc"] });',
  '      child.on("message", (m) => { console.log(got, text, ifs, cpus, address, m); child.kill(); });',
  '    });',
  '  });',
  '});',
].join(' ')

/** [shell command, what its tool result must contain] */
export const INJECT_STEPS: ReadonlyArray<readonly [string, string]> = [
  ['ls -la / /tmp', 'exit status 0\n'],
  ['cat /etc/os-release', 'bookworm'],
  ['i=0; while [ $i -lt 50 ]; do i=$((i+1)); done; echo loop $i', 'loop 50'],
  ['for f in c a b; do echo "$f" > /tmp/$f.txt; done; cat /tmp/*.txt | sort | tr -d "\\n"; echo', 'abc'],
  ['mkdir -p /tmp/d && cd /tmp/d && printf "x%.0s" $(seq 1 100) > x && wc -c < x && cd / && rm -r /tmp/d', '100'],
  ['echo zipped | gzip | gunzip; tar -cf /tmp/t.tar -C /tmp a.txt && tar -tf /tmp/t.tar', 'zipped\na.txt'],
  [`node -e '${NODE_SCRIPT}'`, '27f30bf3 100000 true child 16 42'],
  [`node -e '${NODE_IO_SCRIPT}'`, 'pong 1 lo true 127.0.0.1 7'],
  ['cd /tmp && mkdir -p w/x && touch w/a && chmod 600 w/a && ln -s a w/l && ln w/a w/h && mv w/a w/b && cp -r w w2 && readlink w2/l && stat -c %a w/b && rm -r w w2 && echo files-ok', 'a\n600\nfiles-ok'],
  ['seq 1 20000 | sort -rn | head -n 1; seq 1 1000 | xargs -n 100 echo | wc -l; echo teed | tee /tmp/tee.txt >/dev/null; cat /tmp/tee.txt; timeout 0.2 sleep 5; echo "timeout $?"', '20000\n10\nteed\ntimeout 124'],
  // A stopped and continued sleep resumes through restart_syscall.
  ['sleep 0.4 & p=$!; sleep 0.1; kill -STOP $p; kill -CONT $p; wait $p; echo "resumed $?"', 'resumed 0'],
  ['id -u; date -u +%Y | wc -c; uname -s; head -n 1 /proc/self/status', '65534\n5\nLinux\nName:'],
  ['grep -c . /etc/passwd >/dev/null; sed -n 1p /etc/passwd | cut -d: -f1; awk "BEGIN { print 6 * 7 }"; find /tmp -maxdepth 1 -name "*.txt" | wc -l', 'root\n42\n4'],
  ['no-such-command-wopr; echo "status $?"', 'status 127'],
  ['cp /bin/true /tmp/true && /tmp/true; echo "status $?"', 'status 126'],
  ['echo started; sleep 30', 'killed: wall-clock limit'],
  ['yes wopr', 'killed: output cap'],
]

export const INJECT_LIMITS = { shellTimeoutMs: 1500, shellOutputBytes: 4096, maxSteps: INJECT_STEPS.length + 1 }

export const INJECT_JOB = {
  type: 'job',
  kind: 'inject',
  text: 'Look around the sandbox.',
  session: SESSION,
  systemPrompt: 'You are a careful agent with a shell.',
  transcript: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
  ],
  limits: INJECT_LIMITS,
}

/** Protocol failures (raw stdin; null = close stdin at once): the runner must answer each with an error line, not crash. */
export const BAD_JOBS: ReadonlyArray<readonly [string | null, string]> = [
  ['not json\n', 'RUNNER_NOT_JSON'],
  ['{"type":"job","kind":"exec","text":"x","session":"s"}\n', 'RUNNER_BAD_MESSAGE'],
  ['{"type":"model-result","id":"m1","message":{"role":"assistant","content":"x"}}\n', 'RUNNER_OUT_OF_TURN'],
  [null, 'RUNNER_EOF'],
]
