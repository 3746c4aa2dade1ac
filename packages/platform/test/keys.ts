import * as Jose from "jose"

export interface TestKey {
  readonly privateKey: string
  readonly publicKey: string
}

/** A fresh P-256 key pair as PEM text, as a .p8 file holds it. */
export const makeKey = async (): Promise<TestKey> => {
  const pair = await Jose.generateKeyPair("ES256", { extractable: true })
  return { privateKey: await Jose.exportPKCS8(pair.privateKey), publicKey: await Jose.exportSPKI(pair.publicKey) }
}
