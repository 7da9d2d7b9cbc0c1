params --style keras2 --formulas problems/004-2022-02-09-segmentation.json
