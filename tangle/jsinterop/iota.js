// IOTA's JavaScript clients (@iota/core, @iota/mam.js) driven by the Go
// tests in this package: one JSON request per line on stdin, one JSON
// answer per line on stdout, so a test keeps one Node.js process and calls
// the real client functions with its own arguments.
//
//   node iota.js http://127.0.0.1:14265
//
// Requests:
//   {"op":"core","method":M,"args":[...]}   iota[M](...args) of composeAPI({provider})
//   {"op":"send","command":{...}}           @iota/http-client's send, the raw IRI call
//                                           @iota/core makes after its own input checks
//   {"op":"mam","fn":F,"args":[...]}        mam[F](iota, ...args) (mamFetch, mamFetchAll); a
//                                           fetched message also comes as "text" (trytesToAscii)
//   {"op":"mamPublish","seed":S,"mode":M,"sideKey":K,"mwm":W,"steps":[{"text":T}|{"sideKey":K2}]}
//                                           writes a channel with mam.js's createChannel,
//                                           createMessage and mamAttach; a step with sideKey
//                                           changes the key for the messages after it
// Answers: {"result": ...} or {"error": "message"}.
const readline = require('readline')
const { composeAPI } = require('@iota/core')
const { createHttpClient } = require('@iota/http-client')
const { asciiToTrytes, trytesToAscii } = require('@iota/converter')
const mam = require('@iota/mam.js')

const iota = composeAPI({ provider: process.argv[2] })
const http = createHttpClient({ provider: process.argv[2] })

function withText (m) {
  return m && { ...m, text: trytesToAscii(m.message) }
}

async function handle (req) {
  switch (req.op) {
    case 'core':
      return iota[req.method](...req.args)
    case 'send':
      return http.send(req.command)
    case 'mam': {
      const out = await mam[req.fn](iota, ...req.args)
      return Array.isArray(out) ? out.map(withText) : withText(out)
    }
    case 'mamPublish': {
      const channel = mam.createChannel(req.seed, 1, req.mode, req.sideKey)
      const published = []
      for (const step of req.steps) {
        if (step.sideKey) {
          channel.sideKey = step.sideKey
          continue
        }
        const message = mam.createMessage(channel, asciiToTrytes(step.text))
        await mam.mamAttach(iota, message, 3, req.mwm)
        published.push({ root: message.root, address: message.address })
      }
      return { published, nextRoot: mam.channelRoot(channel) }
    }
    default:
      throw new Error(`unknown op ${req.op}`)
  }
}

const lines = readline.createInterface({ input: process.stdin })
let queue = Promise.resolve()
lines.on('line', line => {
  // One request at a time, answers in order.
  queue = queue.then(async () => {
    let answer
    try {
      answer = { result: await handle(JSON.parse(line)) }
    } catch (err) {
      answer = { error: String((err && err.message) || err) }
    }
    process.stdout.write(JSON.stringify(answer) + '\n')
  })
})
