import type { SourceConfig } from '../config/schema';
import { CsvSource } from './csv-source';
import { DemoSource } from './demo-source';
import { HttpJsonSource } from './http-json-source';
import type { IngestSource } from './source';

export function createSource(config: SourceConfig): IngestSource {
  switch (config.type) {
    case 'csv':
      return new CsvSource(config);
    case 'http-json':
      return new HttpJsonSource(config);
    case 'demo':
      return new DemoSource(config);
  }
}
