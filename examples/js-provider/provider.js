#!/usr/bin/env node
// A service provider in JavaScript: follows an iotahome P1 reader's
// restricted MAM channel with IOTA's @iota/mam.js and @iota/core and prints
// every reading once, in order, as a JSON line. Start here to write a
// provider in the JavaScript ecosystem; README.md explains the protocol
// around it.
//
//   node provider.js --node http://127.0.0.1:14265 [--poll 2000] [--once]
//
// stdin, one JSON object per line:
//   first                 {"root": "...", "sideKey": "..."} — the channel key from MAM_DATA,
//                         opened by your backend (NTRU: see README.md)
//   after a KEY_ROTATION  {"sideKey": "..."} — your new key from it, or {"stop": true}
// stdout, one JSON object per line:
//   {"type":"reading","seq":N,"next":R,"reading":{...}}  iotahome.reading/1 (docs/reading-schema.md);
//                                                        R is the root to resume from after it
//   {"type":"gap","from":A,"to":B}                       readings A..B-1 never arrived
//   {"type":"keyRotation","next":R,"keys":[...]}          then waits for the new key on stdin
//   {"type":"message","next":R,"message":{...}}          another kind of channel message
//   {"type":"end","root":R}                               --once: nothing more to read yet
const readline = require('readline')
const zlib = require('zlib')
const { composeAPI } = require('@iota/core')
const { trytesToAscii } = require('@iota/converter')
const { decodeAddress, decodeTransactions } = require('@iota/mam.js')

const args = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : fallback
}
const iota = composeAPI({ provider: flag('--node', 'http://127.0.0.1:14265') })
const pollMs = Number(flag('--poll', 2000))
const once = args.includes('--once')
const MAX_UNPACKED = 1 << 20 // as the reader's protocol bounds a packed DATA

const input = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]()
async function nextInput () {
  const { value, done } = await input.next()
  return done ? { stop: true } : JSON.parse(value)
}
const emit = event => process.stdout.write(JSON.stringify(event) + '\n')
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// The message at root, or undefined if there is none (yet). Anyone who
// knows a root can attach to its address, so every bundle there is tried,
// earliest first, and one that does not decode and verify with the side
// key is skipped. (mam.js's own mamFetch gives up at the first such
// bundle.)
async function fetchAt (root, sideKey) {
  const address = decodeAddress(root, 'restricted')
  const txs = await iota.findTransactionObjects({ addresses: [address] })
  const tails = txs.filter(tx => tx.currentIndex === 0)
    .sort((a, b) => a.attachmentTimestamp - b.attachmentTimestamp)
  for (const tail of tails) {
    try {
      const msg = await decodeTransactions(txs.filter(tx => tx.bundle === tail.bundle), address, root, sideKey)
      if (msg) return msg
    } catch (err) {
      console.error(`skipping bundle ${tail.bundle} at ${address}: ${err.message.split('\n').pop()}`)
    }
  }
}

// DATA carries readings as "r" (a JSON array) or "z" (base64 of the raw
// DEFLATE of that array).
function readingsOf (data) {
  if (!data.z) return data.r || []
  return JSON.parse(zlib.inflateRawSync(Buffer.from(data.z, 'base64'), { maxOutputLength: MAX_UNPACKED }))
}

async function main () {
  let { root, sideKey } = await nextInput()
  let nextSeq
  for (;;) {
    const msg = await fetchAt(root, sideKey)
    if (!msg) {
      if (once) return emit({ type: 'end', root })
      await sleep(pollMs)
      continue
    }
    root = msg.nextRoot
    let m
    try {
      m = JSON.parse(trytesToAscii(msg.message))
    } catch (err) {
      console.error(`skipping a message that is not JSON: ${err.message}`)
      continue
    }
    if (m.type === 'DATA' && m.data && m.data.schema === 'iotahome.reading/1') {
      readingsOf(m.data).forEach((reading, i) => {
        const seq = m.data.seq + i
        if (nextSeq !== undefined && seq < nextSeq) return // a re-sent reading
        if (nextSeq !== undefined && seq > nextSeq) emit({ type: 'gap', from: nextSeq, to: seq })
        nextSeq = seq + 1
        emit({ type: 'reading', seq, next: root, reading })
      })
    } else if (m.type === 'KEY_ROTATION') {
      // Later messages use a new side key, sealed to each provider still
      // authorized; none for you means your consent ended.
      emit({ type: 'keyRotation', next: root, keys: m.keyRotation.keys })
      const answer = await nextInput()
      if (answer.stop || !answer.sideKey) return
      sideKey = answer.sideKey
    } else {
      emit({ type: 'message', next: root, message: m })
    }
  }
}

process.on('SIGTERM', () => process.exit(0))
main().then(() => process.exit(0), err => {
  console.error(err && err.stack ? err.stack : err)
  process.exit(1)
})
