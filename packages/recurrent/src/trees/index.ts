export { parseTrees, treeToString, leafWords, type Tree, type ParseTreesOptions } from './tree.js';
export { batchTrees, forestFromNodes, NO_INPUT, type Forest, type ForestNode, type TreeBatch } from './forest.js';
export { TreeCell, TREE_CELLS, treeHasCellState, treeParamInfo, type TreeCellKind, type TreeParamInfo, type TreeForwardResult } from './cell.js';
export { TreeClassifier, type TreeParameter, type TreeStepOptions, type TreeClassifierOptions } from './classifier.js';
export { saveTreeClassifier, loadTreeClassifier } from './files.js';
