/**
 * What a person is told when the database is not there to be used: which setting to look at and which command to run,
 * in Chinese, instead of the driver's `database "duban" does not exist` or `relation "problems" does not exist`.
 * Errors that are not about reaching or setting up the database pass through unchanged.
 */
export class DatabaseHintError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'DatabaseHintError';
  }
}

const INSTALL = '没有安装 PostgreSQL 的机器可运行 docker compose up -d（见 README）。';

export function databaseHint(err: unknown, url: string): Error | undefined {
  const e = err as { code?: string; message?: string };
  const where = describeUrl(url);
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return new DatabaseHintError(`无法连接数据库 ${where}：请确认 PostgreSQL 已启动，且环境变量 DATABASE_URL 指向它。${INSTALL}`, { cause: err });
    case '3D000':
      return new DatabaseHintError(`数据库 ${where} 不存在：先运行 duban migrate（会创建数据库并建表），或检查环境变量 DATABASE_URL。`, { cause: err });
    case '42P01':
      return new DatabaseHintError(`数据库 ${where} 尚未初始化（缺少表）：先运行 duban migrate。`, { cause: err });
    case '28P01':
    case '28000':
      return new DatabaseHintError(`数据库 ${where} 拒绝登录：检查环境变量 DATABASE_URL 中的用户名和密码（或 pg_hba.conf）。`, { cause: err });
    default:
      return undefined;
  }
}

/** Host, port and database of a connection URL; never its password. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1))}`;
  } catch {
    return '（DATABASE_URL 无法解析）';
  }
}
