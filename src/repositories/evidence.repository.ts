import type { Db } from '../db/database';
import type { EvidenceFileRef } from '../domain/problem-state';

export interface EvidenceUpload {
  fileName: string;
  contentType: string;
  content: Buffer;
  sha256: string;
}

/** Files attached to replies: stored whole, never changed (an owner's trigger refuses it). */
export class EvidenceRepository {
  constructor(private readonly db: Db) {}

  async insert(problemId: number, files: EvidenceUpload[], by: string): Promise<EvidenceFileRef[]> {
    if (files.length === 0) return [];
    const rows = await this.db
      .insertInto('evidence_files')
      .values(files.map((f) => ({ problem_id: problemId, file_name: f.fileName, content_type: f.contentType, size: f.content.length, sha256: f.sha256, content: f.content, uploaded_by: by })))
      .returning(['id', 'file_name', 'sha256', 'size'])
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.file_name, sha256: r.sha256, size: r.size }));
  }

  async list(problemId: number) {
    return this.db
      .selectFrom('evidence_files')
      .select(['id', 'file_name', 'content_type', 'size', 'sha256', 'uploaded_by', 'created_at'])
      .where('problem_id', '=', problemId)
      .orderBy('id')
      .execute();
  }

  async get(problemId: number, id: number) {
    return this.db.selectFrom('evidence_files').selectAll().where('problem_id', '=', problemId).where('id', '=', id).executeTakeFirst();
  }
}
