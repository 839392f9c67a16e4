// Entry point: argv → CLI verb or process role. Nothing else lives here.

import { runCli } from './cli/program.ts'

process.exitCode = await runCli(process.argv)
