-- One open application per subject and product, and one live 示范单位 application per unit and year: two requests at
-- once cannot both pass the application's own check.
CREATE UNIQUE INDEX loan_applications_open ON loan_applications(product_id, subject_id) WHERE state IN ('submitted', 'accepted');
CREATE UNIQUE INDEX honours_live ON honours(year, subject_id) WHERE state IN ('applied', 'notice', 'published');
