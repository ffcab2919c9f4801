import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keyIdOf } from '../domain/ledger-checkpoint';
import type { DubanEnv } from './env';

/**
 * The checkpoint signing key. The private half lives only in the environment — DUBAN_CHECKPOINT_KEY (the PEM itself)
 * or DUBAN_CHECKPOINT_KEY_FILE (a file readable by the daemon's user alone) — never in the database or the config, so
 * no database role can sign; the public half is named in the config and handed to the auditors.
 */

export function readPublicKey(file: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`无法读取检查点公钥文件 ${file}：${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error(`${file} 不是 PEM 格式的公钥`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} 不是 Ed25519 公钥（是 ${key.asymmetricKeyType}）`);
  return key;
}

/** The private key from the environment, if one is given; an unreadable one is an error, not an absence. */
export function readSigningKey(env: Pick<DubanEnv, 'checkpointKey' | 'checkpointKeyFile'>): KeyObject | undefined {
  let pem = env.checkpointKey;
  if (!pem && env.checkpointKeyFile) {
    try {
      pem = readFileSync(env.checkpointKeyFile, 'utf8');
    } catch (err) {
      throw new Error(`无法读取 DUBAN_CHECKPOINT_KEY_FILE 指定的私钥文件：${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (!pem) return undefined;
  let key: KeyObject;
  try {
    // An env var may carry the PEM on one line with literal \n.
    key = createPrivateKey(pem.includes('-----BEGIN') ? pem.replace(/\\n/g, '\n') : pem);
  } catch {
    throw new Error('检查点签名私钥不是 PEM 格式的私钥');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`检查点签名私钥不是 Ed25519 密钥（是 ${key.asymmetricKeyType}）`);
  return key;
}

/** The private key must belong to the public key the config names, or every checkpoint would fail to verify. */
export function checkKeyPair(privateKey: KeyObject, publicKey: KeyObject): void {
  if (keyIdOf(createPublicKey(privateKey)) !== keyIdOf(publicKey)) {
    throw new Error(`检查点签名私钥（${keyIdOf(createPublicKey(privateKey))}）与配置中的公钥（${keyIdOf(publicKey)}）不是一对`);
  }
}

/** A new Ed25519 pair written to `dir`: the private key readable by its owner only. Refuses to overwrite a key. */
export function generateSigningKeys(dir: string, name = 'ledger-checkpoint'): { privateFile: string; publicFile: string; keyId: string } {
  mkdirSync(dir, { recursive: true });
  const privateFile = path.join(dir, `${name}.key.pem`);
  const publicFile = path.join(dir, `${name}.pub.pem`);
  for (const f of [privateFile, publicFile]) if (existsSync(f)) throw new Error(`${f} 已存在：不覆盖已有密钥`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(privateFile, 0o600);
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateFile, publicFile, keyId: keyIdOf(publicKey) };
}
