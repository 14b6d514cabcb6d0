/*
 * The Lezer grammars Grafana's query editors use (PromQL, LogQL), shared by the dashboard query checks and the
 * preflight's rule checks. Both packages ship ESM-only types under node16 resolution, so their CommonJS build
 * is loaded with require and typed by the small part of Lezer's tree API used here. The parsers never throw:
 * a syntax error is a node whose type is an error node.
 */
export interface SyntaxNode {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly firstChild: SyntaxNode | null;
  readonly nextSibling: SyntaxNode | null;
  getChild(name: string): SyntaxNode | null;
}
export interface NodeRef {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly type: { readonly isError: boolean };
  readonly node: SyntaxNode;
}
export interface Tree {
  iterate(spec: { enter(node: NodeRef): boolean | undefined }): void;
}
export interface Parser {
  parse(input: string): Tree;
}

export const { parser: promqlParser } = require("@prometheus-io/lezer-promql") as { parser: Parser };
export const { parser: logqlParser } = require("@grafana/lezer-logql") as { parser: Parser };
