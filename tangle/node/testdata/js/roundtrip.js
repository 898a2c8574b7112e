// Round trip through the development Tangle node with IOTA's JavaScript
// client, @iota/core 1.0.0-beta: prepareTransfers -> sendTrytes (the node
// does attachToTangle) -> findTransactionObjects. Prints one JSON line with
// what came back; exits non-zero on any failure.
//
//   node roundtrip.js http://127.0.0.1:14265 [mwm]
//
// @iota/core and @iota/converter must be resolvable (NODE_PATH or a
// node_modules folder next to this file); js_test.go runs it.
const { composeAPI } = require('@iota/core')
const { asciiToTrytes, trytesToAscii } = require('@iota/converter')

const provider = process.argv[2]
const mwm = Number(process.argv[3] || 9)
const seed = 'JSCLIENTTESTSEED9JSCLIENTTESTSEED9JSCLIENTTESTSEED9JSCLIENTTESTSEED9JSCLIENTTESTS'
const address = ('JSCLIENT' + Date.now().toString().split('').map(d => 'ABCDEFGHIJ'[d]).join('')).padEnd(81, '9')

async function main () {
  const iota = composeAPI({ provider })
  const info = await iota.getNodeInfo()
  // Long enough to need two transactions.
  const text = JSON.stringify({ hello: 'from @iota/core', filler: 'x'.repeat(1300) })
  const trytes = await iota.prepareTransfers(seed, [{
    address, value: 0, tag: 'JSCLIENT', message: asciiToTrytes(text)
  }])
  const sent = await iota.sendTrytes(trytes, 3, mwm)
  const found = await iota.findTransactionObjects({ addresses: [address] })
  found.sort((a, b) => a.currentIndex - b.currentIndex)
  const message = trytesToAscii(found.map(t => t.signatureMessageFragment).join('')).replace(/\0+$/, '')
  const consistent = await iota.checkConsistency(sent[0].hash)
  const states = await iota.getInclusionStates([sent[0].hash])
  console.log(JSON.stringify({
    appName: info.appName,
    sent: sent.length,
    found: found.length,
    bundle: sent[0].bundle,
    sameBundle: found.every(t => t.bundle === sent[0].bundle),
    messageMatches: message === text,
    consistent,
    included: states[0]
  }))
  if (found.length !== sent.length || message !== text || !consistent || !states[0]) {
    process.exit(1)
  }
}

main().catch(err => { console.error(err && err.stack || err); process.exit(1) })
