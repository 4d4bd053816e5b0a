DROP TABLE execution_systems;
DROP TABLE execution_plans;
