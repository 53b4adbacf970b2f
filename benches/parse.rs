//! Throughput of each parser and of the whole pipeline on generated inputs.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use cloudlint::parse::{hcl::parse_hcl, json::parse_json, yaml::parse_yaml};
use cloudlint::source::FileId;

/// The binary's allocator, so the figures are the shipped tool's.
#[global_allocator]
static ALLOCATOR: cloudlint::allocator::Allocator = cloudlint::allocator::Allocator;

fn terraform(resources: usize) -> String {
    let mut text = String::new();
    for i in 0..resources {
        text.push_str(&format!(
            "resource \"aws_iam_policy\" \"p{i}\" {{\n  name = \"p{i}\"\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{\n      Effect   = \"Allow\"\n      Action   = [\"s3:GetObject\", \"s3:PutObject\"]\n      Resource = \"arn:aws:s3:::bucket-{i}/*\"\n    }}]\n  }})\n}}\n\n"
        ));
    }
    text
}

fn template_json(resources: usize) -> String {
    let items: Vec<String> = (0..resources)
        .map(|i| format!(r#""P{i}": {{"Type": "AWS::IAM::ManagedPolicy", "Properties": {{"PolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b{i}/*"}}]}}}}}}"#))
        .collect();
    format!(
        r#"{{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {{{}}}}}"#,
        items.join(",\n")
    )
}

fn template_yaml(resources: usize) -> String {
    let mut text = String::from("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n");
    for i in 0..resources {
        text.push_str(&format!(
            "  P{i}:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: !Sub 's3:GetObject'\n            Resource: !Sub 'arn:aws:s3:::b{i}/*'\n"
        ));
    }
    text
}

fn parsers(c: &mut Criterion) {
    cloudlint::allocator::keep_freed_memory();
    let tf = terraform(3_000);
    let json = template_json(5_000);
    let yaml = template_yaml(5_000);
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(tf.len() as u64));
    group.bench_function("hcl", |b| {
        b.iter(|| parse_hcl(black_box(&tf), FileId(0)).is_ok())
    });
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("json", |b| {
        b.iter(|| parse_json(black_box(&json), FileId(0), 0).root.is_some())
    });
    group.throughput(Throughput::Bytes(yaml.len() as u64));
    group.bench_function("yaml", |b| {
        b.iter(|| parse_yaml(black_box(&yaml), FileId(0)).root.is_some())
    });
    group.finish();

    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Bytes(tf.len() as u64));
    group.bench_function("terraform", |b| {
        b.iter(|| cloudlint::lint::lint_text("main.tf", black_box(&tf)).len())
    });
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("cloudformation-json", |b| {
        b.iter(|| cloudlint::lint::lint_text("t.json", black_box(&json)).len())
    });
    group.throughput(Throughput::Bytes(yaml.len() as u64));
    group.bench_function("cloudformation-yaml", |b| {
        b.iter(|| cloudlint::lint::lint_text("t.yaml", black_box(&yaml)).len())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = parsers
}
criterion_main!(benches);
